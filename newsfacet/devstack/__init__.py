"""The local dev and test stack: the embedded Elasticsearch node, a loopback multi-node cluster and a
Prefect server, with the process and port helpers they share.

Product code (`search/`, `flows/`, `transforms/`, `readers/`) never imports this package; the CLI's
`es`/`up`/`down`/`status` commands, the tests and the benchmark do. A running part is recorded in a
state file (newsfacet.localstate) that product code reads to find its URL.
"""
