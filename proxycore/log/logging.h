#pragma once

#include <QLoggingCategory>

// Developer diagnostics. What an admin must see goes to the EventLog instead.
Q_DECLARE_LOGGING_CATEGORY(lcConfig)
Q_DECLARE_LOGGING_CATEGORY(lcListener)
Q_DECLARE_LOGGING_CATEGORY(lcSession)
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
