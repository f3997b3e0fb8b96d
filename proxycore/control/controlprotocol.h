#pragma once

#include "control/controller.h"

#include <QJsonObject>

// The control channel's messages, one JSON object per line:
//   request:  {"command": "status" | "set" | "restart" | "sql" | "update-config" | "sessions"
//             | "close-session", ...}
//             set: "name", "value"; sql: "statements"; update-config: "key", "value" (absent
//             to remove the key); close-session: "id"
//   response: {"ok": true, "result": ...} or {"ok": false, "error": {"code": N, "message": M}}
namespace StudioProxy::ControlProtocol {

QJsonObject errorResponse(const Error &error);
QJsonObject okResponse(const QJsonValue &result);
Error errorFrom(const QJsonObject &response);

QJsonObject toJson(const StatementResult &result);
StatementResult statementFrom(const QJsonObject &json);
QJsonObject toJson(const ConfigUpdate &update);
ConfigUpdate configUpdateFrom(const QJsonObject &json);
QJsonObject toJson(const SessionInfo &session);
SessionInfo sessionFrom(const QJsonObject &json);

} // namespace StudioProxy::ControlProtocol
