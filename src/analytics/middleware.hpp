#pragma once
// The analytics of every HTTP request (docs/analytics.md), in the pipeline right inside the metrics
// layer (app/pipeline.cpp): it sees the final status of every request, after the error layer made
// one of any exception, and the caller the authentication layer found.
//
// Per request, into the Recorder's buffer: its latency; an `active` event for the caller's first
// authenticated request of the day; an `error` event for a 5xx answer (with the route template);
// and, for the success its route documents first (201 for a creation), the event the route
// declares (http::RouteDoc::analytics_event: signup, login, message_sent, ...), with the caller as
// the user when known.
#include <memory>

#include "analytics/recorder.hpp"
#include "http/middleware.hpp"

namespace parley::analytics {

std::unique_ptr<http::Middleware> make_analytics_middleware(Recorder& recorder);

}  // namespace parley::analytics
