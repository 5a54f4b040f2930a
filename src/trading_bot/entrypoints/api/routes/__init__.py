"""The API's routers, one module per resource; each route validates, calls, and shapes."""
