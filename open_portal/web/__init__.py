"""The portal's web pages: server-rendered (Jinja2), Chinese first with English.

Pages call the same services as the CKAN actions -- through the action
registry itself (:mod:`open_portal.web.actions`) -- so a page and its API
call always agree. Every UI string is in the gettext catalogues under
``translations/`` (Babel); the pages load no script or style from elsewhere
and carry no inline script or style (Content-Security-Policy friendly).
"""
