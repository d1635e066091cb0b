# `fx invoke hello --data '{"name": "you"}'` passes the name in the event itself;
# an HTTP call (GET /hello?name=you) passes it in the query string.
def hello(event:, context:)
  query = (event.is_a?(Hash) && event['queryStringParameters']) || {}
  name = (event.is_a?(Hash) && event['name']) || query['name'] || 'world'
  { statusCode: 200, body: "Hello, #{name}!".to_json }
end
