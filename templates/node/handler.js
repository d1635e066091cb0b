'use strict';

// `fx invoke hello --data '{"name": "you"}'` passes the name in the event itself;
// an HTTP call (GET /hello?name=you) passes it in the query string.
module.exports.hello = async (event) => {
  const query = (event && event.queryStringParameters) || {};
  const name = (event && event.name) || query.name || 'world';
  return { statusCode: 200, body: JSON.stringify(`Hello, ${name}!`) };
};
