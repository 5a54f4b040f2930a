"""The api-gateway: FastAPI app, passkey auth, routes and the WebSocket."""
