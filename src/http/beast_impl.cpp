// Separate compilation of Beast (BOOST_BEAST_SEPARATE_COMPILATION): compiled here once.
#include <boost/beast/src.hpp>
