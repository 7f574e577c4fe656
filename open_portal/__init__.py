"""The portal's HTTP and UI surfaces: CKAN Action API, DCAT, downloads, pages, accounts."""
