"""PostgreSQL state (RAG_DATABASE_URL): the schema and its migrations, the published corpus with its vectors
(pgvector), feedback and the answer log. Layer: ingest (it stores what rag.ingest builds)."""
