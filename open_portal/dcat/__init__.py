"""The portal's DCAT-AP surface: catalogue and dataset documents, negotiation, schemes."""
