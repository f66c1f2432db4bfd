"""Pure transforms: no Prefect, no Elasticsearch. DataFrames of Article rows pass between stages."""
