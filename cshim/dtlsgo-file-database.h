#pragma once

/* The type is declared in the public header. */
#include "dtlsgo-database.h"
