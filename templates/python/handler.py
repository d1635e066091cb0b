import json


def lambda_handler(event, context):
    # `fx invoke hello --data '{"name": "you"}'` passes the name in the event itself;
    # an HTTP call (GET /hello?name=you) passes it in the query string.
    name = 'world'
    if isinstance(event, dict):
        query = event.get('queryStringParameters') or {}
        name = event.get('name') or query.get('name') or name
    return {'statusCode': 200, 'body': json.dumps(f'Hello, {name}!')}
