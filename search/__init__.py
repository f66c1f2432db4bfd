"""Everything that talks to Elasticsearch: client, schema, bulk load, aliases, queries, Kibana objects."""
