#pragma once

#include "dtlsgo.h"

/* DtlsGoListener is declared in the public header; its accept makes
 * DtlsGoServerConnections over DtlsGoPeerSockets. */
