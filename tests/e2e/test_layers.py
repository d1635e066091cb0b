"""Top-level layers: packaged on their own, published as layer versions, and on the import
paths of the functions that use them, as /opt is on Lambda."""
import json
import os
import zipfile

from fxtest import FxTestCase, main

FILES = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        layers:
          commonLibs:
            path: layers/common
            description: shared helpers
        functions:
          py:
            handler: app.handler
            layers:
              - Ref: CommonLibsLambdaLayer
          opt:
            handler: app.opt
            layers:
              - Ref: CommonLibsLambdaLayer
          js:
            handler: index.handler
            runtime: nodejs20.x
            layers:
              - commonLibs
        """,
    "app.py": """
        import os
        import sharedlib
        def handler(event, context):
            return sharedlib.greet()
        def opt(event, context):
            with open("/opt/python/sharedlib/__init__.py") as f:
                return f.read()
        """,
    "index.js": """
        const shared = require('shared-js');
        exports.handler = async () => shared.greet();
        """,
    "layers/common/python/sharedlib/__init__.py": "def greet():\n    return 'hello from the python layer'\n",
    "layers/common/nodejs/node_modules/shared-js/package.json": '{"name": "shared-js", "main": "index.js"}\n',
    "layers/common/nodejs/node_modules/shared-js/index.js": "exports.greet = () => 'hello from the node layer';\n",
}


class Layers(FxTestCase):
    def test_layer_published_once_and_used_by_python_and_node(self):
        d = self.make_service(FILES)
        r = self.ok("deploy")
        self.assertIn("published", r.out)
        self.assertEqual(json.loads(self.ok("invoke", "py").out), "hello from the python layer")
        self.assertEqual(json.loads(self.ok("invoke", "js").out), "hello from the node layer")
        # The layer is not in the functions' own bundles.
        with zipfile.ZipFile(os.path.join(d, ".fx", "build", "py.zip")) as z:
            self.assertFalse(any(n.startswith("layers/") for n in z.namelist()), z.namelist())
        with zipfile.ZipFile(os.path.join(d, ".fx", "build", "layer-commonLibs.zip")) as z:
            self.assertIn("python/sharedlib/__init__.py", z.namelist())
        # Unchanged: no new version, functions unchanged.
        r = self.ok("deploy", "--json")
        self.assertEqual({f["status"] for f in r.json()}, {"unchanged"})
        # A changed layer is a new version, and the functions move to it.
        with open(os.path.join(d, "layers/common/python/sharedlib/__init__.py"), "w") as f:
            f.write("def greet():\n    return 'layer v2'\n")
        self.assertEqual({f["status"] for f in self.ok("deploy", "--json").json()}, {"updated"})
        self.assertEqual(json.loads(self.ok("invoke", "py").out), "layer v2")

    def test_layers_are_at_opt_in_the_instance_only(self):
        if os.geteuid() != 0:
            self.skipTest("mounting layers on /opt needs root (a mount namespace of the instance's own)")
        self.make_service(FILES)
        self.ok("deploy")
        self.assertIn("def greet", json.loads(self.ok("invoke", "opt").out))
        self.assertFalse(os.path.exists("/opt/python/sharedlib"))  # the host's /opt is untouched

    def test_unknown_layer_reference_names_the_known_ones(self):
        files = dict(FILES)
        files["serverless.yaml"] = files["serverless.yaml"].replace("Ref: CommonLibsLambdaLayer", "Ref: NopeLambdaLayer")
        self.make_service(files)
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("no layer 'NopeLambdaLayer'", r.err)
        self.assertIn("CommonLibsLambdaLayer", r.err)


if __name__ == "__main__":
    main()
