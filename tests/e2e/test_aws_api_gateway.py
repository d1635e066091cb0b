"""--target aws: a service's routes become API Gateway APIs as the Serverless Framework makes
them (issue 18 item 5), against moto: httpApi events an HTTP API (apigatewayv2) with its
integrations, JWT and Lambda authorizers, CORS and $default stage; http events a REST API
(apigateway) with a resource per path segment, methods, Lambda proxy integrations, a TOKEN
authorizer and a stage named after the fx stage; the function policy statements that let API
Gateway invoke them. What fx did is checked with boto3 against moto; how it did it (reads
only on an unchanged redeploy) with the recording proxy in front of moto.

Where moto falls short of AWS (said again where it matters): apigatewayv2 has no
GetAuthorizers (fx reads the authorizers its routes name one by one), and apigateway's
UpdateMethod answers 500 (fx replaces a changed method)."""
import json
import os

from awstest import ACCOUNT, MotoCase
from fxtest import main

HTTP_API_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          httpApi:
            cors: true
            authorizers:
              users:
                identitySource: $request.header.Authorization
                issuerUrl: https://issuer.example.com/pool
                audience: [client-1]
              custom:
                type: request
                functionName: auth
                enableSimpleResponses: true
                identitySource: $request.header.Authorization
        package:
          individually: true
        functions:
          api:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            events:
              - httpApi: 'GET /hello'
              - httpApi:
                  method: POST
                  path: /items/{id}
                  authorizer: {name: users, scopes: [items/write]}
              - httpApi: {method: GET, path: /mine, authorizer: {name: custom}}
          other:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            provisionedConcurrency: 1
            events:
              - httpApi: '*'
          auth:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
          own:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            url: true
          warm:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            provisionedConcurrency: 1
            url: {authorizer: aws_iam}
        """,
    "api.py": """
        def handler(event, context):
            return {"statusCode": 200, "body": "ok"}
        """,
}

REST_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        package:
          individually: true
        functions:
          admin:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            events:
              - http: {path: admin, method: post, private: true}
              - http:
                  path: users/{id}
                  method: get
                  authorizer: {name: auth, resultTtlInSeconds: 0}
              - http: {path: 'files/{proxy+}', method: any}
          auth:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
        """,
    "api.py": HTTP_API_SERVICE["api.py"],
}


def writes(recorder):
    """The API Gateway calls that change something (anything but GET), by "METHOD /path"."""
    return [op for op in recorder.stats()
            if (op.startswith(("POST /v2/", "PATCH /v2/", "DELETE /v2/", "PUT /v2/"))
                or (" /restapis" in op and not op.startswith("GET ")))]


class ApiGatewayOnAws(MotoCase):
    def edit(self, old, new):
        path = os.path.join(self.service_dir, "serverless.yaml")
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def http_api(self):
        apis = [a for a in self.boto("apigatewayv2").get_apis()["Items"]
                if a["Name"] == f"dev-{self.service_name}"]
        self.assertEqual(len(apis), 1, apis)
        return apis[0]

    def policy(self, key, qualifier=None):
        kw = {"Qualifier": qualifier} if qualifier else {}
        return json.loads(self.boto("lambda").get_policy(FunctionName=self.name(key), **kw)["Policy"])

    def fake_provisioned_concurrency(self, *keys):
        """moto has no provisioned concurrency configurations (PutProvisionedConcurrencyConfig
        is a 404 there): the proxy answers for it as AWS does, for these functions' alias."""
        for key in keys:
            path = f"/2019-09-30/functions/{self.name(key)}/provisioned-concurrency"
            config = {"RequestedProvisionedConcurrentExecutions": 1, "Status": "READY",
                      "AllocatedProvisionedConcurrentExecutions": 1,
                      "AvailableProvisionedConcurrentExecutions": 1}
            self.rec.inject_answer(f"PUT {path}", 100, 202, json.dumps(config),
                                   {"Content-Type": "application/json"})
            self.rec.inject_answer(f"GET {path}", 100, 200, json.dumps(config),
                                   {"Content-Type": "application/json"})

    def test_http_api_routes_authorizers_cors_stage_and_permissions(self):
        self.make_service(HTTP_API_SERVICE)
        self.fake_provisioned_concurrency("other", "warm")
        functions, r = self.deploy()
        v2 = self.boto("apigatewayv2")
        api = self.http_api()
        api_id = api["ApiId"]
        self.assertEqual(api["ProtocolType"], "HTTP")
        self.assertEqual(api["Tags"], {"fx:service": self.service_name, "fx:stage": "dev"})
        # cors: true is the framework's defaults: any origin, its headers, the routes' methods.
        cors = api["CorsConfiguration"]
        self.assertEqual(cors["AllowOrigins"], ["*"])
        self.assertIn("Authorization", cors["AllowHeaders"])
        self.assertEqual(cors["AllowMethods"], ["*"])  # the '*' route is any method

        integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api_id)["Items"]}
        by_function = {i["IntegrationUri"].split(":")[6]: i for i in integrations.values()}
        self.assertEqual(sorted(by_function), [self.name("api"), self.name("other")])
        # A provisioned function is invoked through its alias, as the framework wires it.
        self.assertEqual(by_function[self.name("other")]["IntegrationUri"],
                         f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.name('other')}:provisioned")
        self.assertEqual(by_function[self.name("api")]["IntegrationUri"],
                         f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.name('api')}")
        for i in integrations.values():
            self.assertEqual(i["IntegrationType"], "AWS_PROXY")
            self.assertEqual(i["PayloadFormatVersion"], "2.0")
        routes = {x["RouteKey"]: x for x in v2.get_routes(ApiId=api_id)["Items"]}
        self.assertEqual(sorted(routes), ["$default", "GET /hello", "GET /mine", "POST /items/{id}"])
        self.assertEqual(routes["GET /hello"]["AuthorizationType"], "NONE")
        self.assertEqual(routes["$default"]["Target"],
                         "integrations/" + by_function[self.name("other")]["IntegrationId"])
        jwt = routes["POST /items/{id}"]
        self.assertEqual(jwt["AuthorizationType"], "JWT")
        self.assertEqual(jwt["AuthorizationScopes"], ["items/write"])
        users = v2.get_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])
        self.assertEqual(users["Name"], "users")
        self.assertEqual(users["AuthorizerType"], "JWT")
        self.assertEqual(users["JwtConfiguration"],
                         {"Issuer": "https://issuer.example.com/pool", "Audience": ["client-1"]})
        self.assertEqual(users["IdentitySource"], ["$request.header.Authorization"])
        mine = routes["GET /mine"]
        self.assertEqual(mine["AuthorizationType"], "CUSTOM")
        custom = v2.get_authorizer(ApiId=api_id, AuthorizerId=mine["AuthorizerId"])
        self.assertEqual(custom["AuthorizerType"], "REQUEST")
        self.assertEqual(custom["AuthorizerUri"],
                         "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                         f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.name('auth')}/invocations")
        self.assertTrue(custom["EnableSimpleResponses"])
        self.assertEqual(custom["AuthorizerPayloadFormatVersion"], "2.0")
        stages = v2.get_stages(ApiId=api_id)["Items"]
        self.assertEqual([(s["StageName"], s["AutoDeploy"]) for s in stages], [("$default", True)])

        # API Gateway may invoke the route functions and the authorizer, from this API only.
        source = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*"
        for key, qualifier in (("api", None), ("other", "provisioned"), ("auth", None)):
            statements = [s for s in self.policy(key, qualifier)["Statement"]
                          if s["Principal"] == {"Service": "apigateway.amazonaws.com"}]
            self.assertEqual(len(statements), 1, (key, statements))
            self.assertEqual(statements[0]["Condition"]["ArnLike"]["AWS:SourceArn"], source)

        # Routes are the API's, not function URLs; `url:` keeps its own URL.
        lam = self.boto("lambda")
        for key in ("api", "other", "auth"):
            with self.assertRaises(lam.exceptions.ResourceNotFoundException):
                lam.get_function_url_config(FunctionName=self.name(key))
        own = lam.get_function_url_config(FunctionName=self.name("own"))
        self.assertEqual(own["AuthType"], "NONE")
        # A provisioned function's URL and API Gateway's statement are its alias's. moto
        # ignores Qualifier on function URLs and policies (AWS keeps them apart), so what fx
        # asked for is read from the proxy.
        warm = lam.get_function_url_config(FunctionName=self.name("warm"), Qualifier="provisioned")
        self.assertEqual(warm["AuthType"], "AWS_IAM")
        self.assertEqual([c[2] for c in self.rec.calls(f"POST /2021-10-31/functions/{self.name('warm')}/url")],
                         [f"/2021-10-31/functions/{self.name('warm')}/url?Qualifier=provisioned"])
        self.assertEqual([c[2] for c in self.rec.calls(f"POST /2015-03-31/functions/{self.name('other')}/policy")],
                         [f"/2015-03-31/functions/{self.name('other')}/policy?Qualifier=provisioned"])
        self.assertIn(f"URL    {warm['FunctionUrl']}  (AWS_IAM)", functions["warm"]["routes"])
        base = f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
        self.assertIn(f"GET    {base}/hello", functions["api"]["routes"])
        self.assertIn(f"URL    {own['FunctionUrl']}", functions["own"]["routes"])
        self.assertEqual(functions["auth"]["routes"], [])

        info = self.ok("info", "--target", "aws", "--json").json()
        self.assertEqual(info["base_url"], base)
        self.assertEqual(info["http_api_url"], base)
        self.assertIn({"function": "api", "route": f"POST   {base}/items/{{id}}"}, info["routes"])
        self.assertIn(base, self.ok("info", "--target", "aws").out)

        # Unchanged: only read.
        self.rec.reset()
        self.fake_provisioned_concurrency("other", "warm")
        again, r = self.deploy()
        self.assertEqual(writes(self.rec), [], self.rec.stats())
        self.assertEqual(self.rec.count("POST /2015-03-31/functions/" + self.name("api") + "/policy"), 0)
        self.assertEqual(again["api"]["routes"], functions["api"]["routes"])
        self.fake_provisioned_concurrency("other", "warm")
        self.assertIn("unchanged", self.ok("deploy", "--target", "aws").out)

        # A changed route is updated in place, a dropped one deleted, and so is the
        # authorizer no route names any more and the CORS configuration.
        self.edit("authorizer: {name: custom}", "authorizer: {name: users, scopes: [mine]}")
        self.edit("      - httpApi: 'GET /hello'\n", "")
        self.edit("    cors: true\n", "")
        self.rec.reset()
        self.fake_provisioned_concurrency("other", "warm")
        self.deploy()
        routes_after = {x["RouteKey"]: x for x in v2.get_routes(ApiId=api_id)["Items"]}
        self.assertEqual(sorted(routes_after), ["$default", "GET /mine", "POST /items/{id}"])
        self.assertEqual(routes_after["GET /mine"]["RouteId"], mine["RouteId"])  # updated
        self.assertEqual(routes_after["GET /mine"]["AuthorizationType"], "JWT")
        self.assertEqual(routes_after["GET /mine"]["AuthorizerId"], jwt["AuthorizerId"])
        self.assertEqual(routes_after["GET /mine"]["AuthorizationScopes"], ["mine"])
        self.assertEqual(self.rec.count(f"DELETE /v2/apis/{api_id}/authorizers/{mine['AuthorizerId']}"), 1)
        self.assertEqual(self.rec.count(f"DELETE /v2/apis/{api_id}/cors"), 1)
        self.assertEqual(self.http_api()["ApiId"], api_id)  # the same API

        # fx remove deletes the API it made, and nothing it did not.
        foreign = v2.create_api(Name=f"dev-{self.service_name}", ProtocolType="HTTP")["ApiId"]
        removed = self.ok("remove", "--target", "aws", "--json").json()
        self.assertEqual(removed["apis"], [f"HTTP API {api_id}"])
        self.assertEqual([a["ApiId"] for a in v2.get_apis()["Items"]
                          if a["Name"] == f"dev-{self.service_name}"], [foreign])
        v2.delete_api(ApiId=foreign)

    def test_rest_api_resources_methods_authorizer_stage(self):
        self.make_service(REST_SERVICE)
        functions, r = self.deploy()
        gw = self.boto("apigateway")
        apis = [a for a in gw.get_rest_apis()["items"] if a["name"] == f"dev-{self.service_name}"]
        self.assertEqual(len(apis), 1)
        api_id = apis[0]["id"]
        self.assertEqual(apis[0]["tags"], {"fx:service": self.service_name, "fx:stage": "dev"})
        resources = {x["path"]: x for x in gw.get_resources(restApiId=api_id, embed=["methods"])["items"]}
        self.assertEqual(sorted(resources), ["/", "/admin", "/files", "/files/{proxy+}", "/users",
                                             "/users/{id}"])
        uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
               f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.name('admin')}/invocations")
        admin = resources["/admin"]["resourceMethods"]["POST"]
        self.assertEqual(admin["authorizationType"], "NONE")
        self.assertTrue(admin["apiKeyRequired"])
        self.assertEqual(admin["methodIntegration"]["type"], "AWS_PROXY")
        self.assertEqual(admin["methodIntegration"]["httpMethod"], "POST")
        self.assertEqual(admin["methodIntegration"]["uri"], uri)
        user = resources["/users/{id}"]["resourceMethods"]["GET"]
        self.assertEqual(user["authorizationType"], "CUSTOM")
        self.assertFalse(user["apiKeyRequired"])
        authorizer = gw.get_authorizer(restApiId=api_id, authorizerId=user["authorizerId"])
        self.assertEqual(authorizer["name"], "auth")
        self.assertEqual(authorizer["type"], "TOKEN")
        self.assertEqual(authorizer["identitySource"], "method.request.header.Authorization")
        self.assertEqual(authorizer["authorizerResultTtlInSeconds"], 0)
        self.assertIn(f":function:{self.name('auth')}/invocations", authorizer["authorizerUri"])
        self.assertIn("ANY", resources["/files/{proxy+}"]["resourceMethods"])
        self.assertEqual([s["stageName"] for s in gw.get_stages(restApiId=api_id)["item"]], ["dev"])
        source = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*"
        for key in ("admin", "auth"):
            statements = [s for s in self.policy(key)["Statement"]
                          if s["Principal"] == {"Service": "apigateway.amazonaws.com"}]
            self.assertEqual([s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements], [source])
        base = f"https://{api_id}.execute-api.us-east-1.amazonaws.com/dev"
        self.assertIn(f"POST   {base}/admin", functions["admin"]["routes"])
        # API keys are not made on AWS yet: said, not silent.
        self.assertIn("API keys and usage plans", r.err)
        info = self.ok("info", "--target", "aws", "--json").json()
        self.assertEqual(info["rest_api_url"], base)
        self.assertNotIn("http_api_url", info)

        self.rec.reset()
        self.deploy()
        self.assertEqual(writes(self.rec), [], self.rec.stats())

        # A method's settings changed: that method only, and a new deployment of the stage.
        self.edit("method: post, private: true", "method: post")
        self.edit("      - http: {path: 'files/{proxy+}', method: any}\n", "")
        self.rec.reset()
        self.deploy()
        resources = {x["path"]: x for x in gw.get_resources(restApiId=api_id, embed=["methods"])["items"]}
        self.assertEqual(sorted(resources), ["/", "/admin", "/users", "/users/{id}"])
        self.assertFalse(resources["/admin"]["resourceMethods"]["POST"]["apiKeyRequired"])
        self.assertEqual(self.rec.count(f"POST /restapis/{api_id}/deployments"), 1)
        self.assertEqual(self.rec.count(f"PUT /restapis/{api_id}/resources/"
                                        f"{resources['/users/{id}']['id']}/methods/GET"), 0)

        self.ok("remove", "--target", "aws")
        self.assertEqual([a for a in gw.get_rest_apis()["items"]
                          if a["name"] == f"dev-{self.service_name}"], [])

    def test_an_authorizer_fx_cannot_deploy_is_an_error_naming_it(self):
        files = dict(REST_SERVICE)
        files["serverless.yaml"] = files["serverless.yaml"].replace(
            "authorizer: {name: auth, resultTtlInSeconds: 0}",
            "authorizer: {name: pool, arn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/p'}")
        self.make_service(files)
        r = self.fx("deploy", "--target", "aws")
        self.assertNotEqual(r.code, 0)
        self.assertIn("fx: error:", r.err)
        self.assertIn("serverless.yaml:", r.err)
        self.assertIn("authorizer 'pool'", r.err)
        self.assertEqual(self.boto("lambda").list_functions()["Functions"] and
                         [f for f in self.boto("lambda").list_functions()["Functions"]
                          if f["FunctionName"].startswith(self.service_name + "-")], [])

    def test_an_http_api_authorizer_by_id_is_an_error_naming_it(self):
        files = dict(HTTP_API_SERVICE)
        files["serverless.yaml"] = files["serverless.yaml"].replace(
            "authorizer: {name: custom}", "authorizer: {id: abc123}")
        self.make_service(files)
        r = self.fx("deploy", "--target", "aws")
        self.assertNotEqual(r.code, 0)
        self.assertRegex(r.err, r"fx: error: .*serverless\.yaml:\d+:\d+: function 'api': httpApi "
                                r"GET /mine: fx cannot deploy its authorizer 'id'")
        self.assertEqual(self.rec.count("CreateFunction"), 0)
        self.assertEqual(self.rec.count("CreateRole"), 0)

    def test_an_answer_that_is_not_api_gateways_is_one_error(self):
        # An endpoint that is not API Gateway (a wrong AWS_ENDPOINT_URL_APIGATEWAY) answers
        # with something else: fx stops with a clear error rather than crash.
        self.make_service(REST_SERVICE)
        self.rec.inject_answer("GET /restapis", 5, 200, "<html>not an API</html>",
                               {"Content-Type": "text/html"})
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: API Gateway answered GET /restapis", r.err)
        self.assertIn("AWS_ENDPOINT_URL_APIGATEWAY", r.err)


if __name__ == "__main__":
    main()
