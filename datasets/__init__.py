"""The catalog domain: models, services, repositories, storage, ingestion, samples."""
