"""The web console (办公台 and 领导驾驶舱): a browser client of /v1, like the phone apps.

Only static files: a page, its ES modules and the vendored libraries (`static/vendor/`, see
VENDOR.md there). `console.app` serves them with their security headers; the server mounts it
at `/console/`. Nothing here imports the server packages: the console knows the API, not the code.
"""
