"""Start the development server: `python server.py`."""

from http.server import HTTPServer, SimpleHTTPRequestHandler

from config import get_debug, get_host, get_port, load_settings

settings = load_settings("app.ini")
address = (get_host(settings), get_port(settings))
if get_debug(settings):
    print(f"serving on http://{address[0]}:{address[1]}")
HTTPServer(address, SimpleHTTPRequestHandler).serve_forever()
