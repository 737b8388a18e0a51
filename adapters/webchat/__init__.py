"""The web chat (`GET /chat`): the same conversation as on the messengers, in a browser page over a
WebSocket, each browser session a person on platform "web" (PRODUCT.md §3, §8)."""
