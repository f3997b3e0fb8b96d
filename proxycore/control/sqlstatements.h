#pragma once

#include "control/controller.h"

namespace StudioProxy {

// MySQL error numbers the statements answer with, so admins and scripts see what they know.
namespace SqlError {
constexpr int Parse = 1064; // ER_PARSE_ERROR
constexpr int Unknown = 1105; // ER_UNKNOWN_ERROR
constexpr int UnknownVariable = 1193; // ER_UNKNOWN_SYSTEM_VARIABLE
constexpr int GlobalVariable = 1229; // ER_GLOBAL_VARIABLE
constexpr int WrongValueForVariable = 1231; // ER_WRONG_VALUE_FOR_VAR
} // namespace SqlError

// Runs the statements an admin would send the engine about its proxy, separated by ';':
// SET GLOBAL <var> = <value>, RESTART PROXY, SHOW [GLOBAL] VARIABLES [LIKE '<pattern>'] and
// SHOW PROXY STATUS. Like the mysql client in batch mode, it stops at the first error, which
// is the last result.
QList<StatementResult> runStatements(Controller &controller, const QString &text);

// Splits on ';' outside quotes; empty statements are dropped.
QStringList splitStatements(const QString &text);

} // namespace StudioProxy
