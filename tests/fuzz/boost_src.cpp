// Boost.JSON and Boost.URL compiled into the fuzz build, so that their parsers are instrumented
// for coverage and sanitizers too (the Debian shared libraries are not).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
