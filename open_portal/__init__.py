"""The portal's HTTP and UI surfaces: CKAN Action API, downloads, Data Package, pages, accounts."""
