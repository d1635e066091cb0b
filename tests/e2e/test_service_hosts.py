"""One host per service and stage (issue 18, item 3): each service's routes are also served at
http://SERVICE-STAGE.localhost:PORT/ on the gateway's port, where only its own routes answer, as
API Gateway gives each API its own host; the plain http://127.0.0.1:PORT/ keeps today's
behaviour. Two services deployed side by side, one with `httpApi: '*'`: before, the catch-all
answered requests meant for the other service on every host, without a word at deploy.

The tests connect to 127.0.0.1 and send the service's Host header (not every container's libc
resolves names under .localhost).
"""
import http.client
import json
import urllib.parse

from fxtest import FxTestCase, main

APP = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"who": "WHO", "path": event["rawPath"]})}
"""


class ServiceHosts(FxTestCase):
    def get(self, path, host=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": host or self.gateway.netloc})
            r = conn.getresponse()
            body = r.read()
            return r.status, json.loads(body) if body else None
        finally:
            conn.close()

    def deploy(self, name, event):
        self.make_service({
            "serverless.yaml": f"""
                service: {name}
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  web:
                    handler: app.handler
                    events:
                      - httpApi: '{event}'
                """,
            "app.py": APP.replace("WHO", name),
        }, name=name)
        return self.ok("deploy")

    def test_two_services_side_by_side_with_a_catch_all(self):
        self.deploy("catchall", "*")
        catchall_dir = self.service_dir
        r = self.deploy("orders", "GET /orders")
        self.assertIn("orders-dev and catchall-dev overlap on the shared host", r.err)
        info = self.ok("info", "--json").json()
        self.gateway = urllib.parse.urlsplit(info["base_url"])
        self.assertRegex(info["base_url"], r"^http://orders-dev\.localhost:\d+/$")
        self.assertIn(info["base_url"], self.ok("info").out)
        port = self.gateway.port
        self.gateway = urllib.parse.urlsplit(f"http://127.0.0.1:{port}")
        orders, catchall = f"orders-dev.localhost:{port}", f"CatchAll-Dev.localhost:{port}"
        # Each service's own host: its routes alone.
        self.assertEqual(self.get("/orders", orders), (200, {"who": "orders", "path": "/orders"}))
        self.assertEqual(self.get("/elsewhere", orders), (404, {"message": "Not Found"}))
        self.assertEqual(self.get("/orders", catchall)[1]["who"], "catchall")
        self.assertEqual(self.get("/elsewhere", catchall)[1]["who"], "catchall")
        # The shared host as before: a real route wins over the other service's catch-all.
        self.assertEqual(self.get("/orders")[1]["who"], "orders")
        self.assertEqual(self.get("/elsewhere")[1]["who"], "catchall")
        # A host of no service is the shared one.
        self.assertEqual(self.get("/orders", f"nobody-dev.localhost:{port}")[1]["who"], "orders")
        self.ok("remove")
        self.assertEqual(self.get("/orders", orders)[1]["who"], "catchall")  # shared again
        self.service_dir = catchall_dir
        self.ok("remove")


if __name__ == "__main__":
    main()
