"""Browser-facing pieces shared by the node's pages: cookies, CSRF, templates, safe redirects."""
