#include "app/api_document.hpp"

#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

boost::json::object api_document(const http::Router& router) {
  static const boost::json::object examples = boost::json::parse(openapi_examples_json()).as_object();
  return http::build_openapi(router, {.title = "Parley API",
                                      .version = PARLEY_VERSION,
                                      .description = "Self-hosted messaging backend: REST, GraphQL and WebSocket.",
                                      .examples = examples});
}

}  // namespace parley
