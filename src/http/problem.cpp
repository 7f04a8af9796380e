#include "http/problem.hpp"

#include <boost/json.hpp>

namespace parley::http {

Response problem_response(const AppError& error, std::string_view instance, std::string_view request_id) {
  boost::json::object body;
  body["type"] = error.type_uri();
  body["title"] = error.title();
  body["status"] = error.status();
  body["detail"] = error.public_message();
  body["code"] = error.code();
  body["instance"] = instance;
  if (!request_id.empty()) body["request_id"] = request_id;
  if (!error.field_errors().empty()) {
    boost::json::object errors;
    for (const auto& [field, messages] : error.field_errors()) {
      boost::json::array list;
      for (const auto& m : messages) list.emplace_back(m);
      errors[field] = std::move(list);
    }
    body["errors"] = std::move(errors);
  }
  Response response{error.status(), std::string(kProblemType), {}, boost::json::serialize(body)};
  for (const auto& [name, value] : error.headers()) response.set_header(name, value);
  return response;
}

}  // namespace parley::http
