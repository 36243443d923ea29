#pragma once
#include <cairo/cairo.h>  // without -I/usr/include/cairo, so that cells compile against Plotting
