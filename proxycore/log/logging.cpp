#include "log/logging.h"

Q_LOGGING_CATEGORY(lcConfig, "studioproxy.config", QtWarningMsg)
Q_LOGGING_CATEGORY(lcListener, "studioproxy.proxy.listener", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSession, "studioproxy.proxy.session", QtWarningMsg)
Q_LOGGING_CATEGORY(lcEngine, "studioproxy.proxy.engine", QtWarningMsg)
