// The platform's versioned JSON API, /api/v1 (docs/api.md; described by the OpenAPI 3.1 document
// it publishes at /api/v1/openapi.json). Two audiences with their own routes and authorisation:
//   - the consumer portal, /api/v1/portal/...: a consumer signed in with a one-time code sees
//     his own account, consumption and payments, and nothing else (no route takes his id);
//   - the control room, /api/v1/...: operators signed in with a password act within their roles.
// Sign-in for both: /api/v1/session (operators), /api/v1/portal/code and /api/v1/portal/session.
// Every change needs the session's CSRF token and is audited with its actor by the layer that
// makes it.
#pragma once

#include <string_view>

#include "api/platform.h"
#include "http/router.h"

namespace vidyut::api {

void add_session_routes(http::Router& router, const Platform& p);
void add_portal_routes(http::Router& router, const Platform& p);
void add_control_room_routes(http::Router& router, const Platform& p);
// The MDM's analyses and theft cases (analysis_api.cc).
void add_analysis_routes(http::Router& router, const Platform& p);
// CSV exports of readings and bills (export_api.cc).
void add_export_routes(http::Router& router, const Platform& p);
// IEC 61968-9 (CIM) messages: meter readings, end-device events and controls (cim_api.cc).
void add_cim_routes(http::Router& router, const Platform& p);
// The payment gateway's notice and the consumer's order (checkout_api.cc).
void add_checkout_routes(http::Router& router, const Platform& p);
// All of the above, and GET /api/v1/openapi.json.
void add_platform_routes(http::Router& router, const Platform& p);

// The OpenAPI 3.1 document (JSON text), as published.
std::string_view openapi_document();

}  // namespace vidyut::api
