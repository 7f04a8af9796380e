#pragma once
// Walks a boost::json value through a writer with JsonWriter's interface (JsonWriter,
// JsonDomWriter): objects and arrays through begin_/key/end_, so object keys are spelled as the
// writer spells keys (KeyCase); each scalar goes to `scalar(value)`, which the writer defines.
#include <boost/json/value.hpp>

namespace parley::core {

template <typename Writer, typename Scalar>
void walk_dom(Writer& w, const boost::json::value& json, const Scalar& scalar) {
  switch (json.kind()) {
    case boost::json::kind::object:
      w.begin_object();
      for (const auto& [name, member] : json.get_object()) {
        w.key(name);
        walk_dom(w, member, scalar);
      }
      w.end_object();
      break;
    case boost::json::kind::array:
      w.begin_array();
      for (const auto& item : json.get_array()) walk_dom(w, item, scalar);
      w.end_array();
      break;
    default:
      scalar(json);
  }
}

}  // namespace parley::core
