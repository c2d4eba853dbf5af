#include "dal/version.h"

int dal_version(void) { return DAL_VERSION_NUMBER; }

const char *dal_version_string(void) { return DAL_VERSION_STRING; }
