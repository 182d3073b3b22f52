/* The plugin ABI is the header alone. SwiftPM builds a C target from at least one source file; this one
   also checks, at every build, that the header compiles on its own as C. */
#include "dealcast_plugin.h"
