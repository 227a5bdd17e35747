"""The HTTP service: `rag serve` (FastAPI); see app.py."""
