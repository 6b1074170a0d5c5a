"""FastAPI service serving the ingested League of Legends data."""
