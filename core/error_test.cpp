#include "core/error.h"

#include <catch2/catch.hpp>

TEST_CASE("MUTA_CHECK throws muta::Error with message and location", "[unit][error]") {
  try {
    const int x = 3;
    MUTA_CHECK(x == 4) << "x is " << x;
    FAIL("no throw");
  } catch (const muta::Error& e) {
    CHECK(std::string(e.what()) == "x is 3");
    CHECK(e.kind() == muta::ErrorKind::kUser);
    CHECK(std::string(e.file()).find("error_test.cpp") != std::string::npos);
    CHECK(e.line() > 0);
  }
  CHECK_NOTHROW([] { MUTA_CHECK(1 + 1 == 2) << "never"; }());
}

TEST_CASE("MUTA_INTERNAL_CHECK is an internal error", "[unit][error]") {
  try {
    MUTA_INTERNAL_CHECK(false) << "boom";
    FAIL("no throw");
  } catch (const muta::Error& e) {
    CHECK(e.kind() == muta::ErrorKind::kInternal);
    CHECK(std::string(e.what()).find("boom") != std::string::npos);
  }
}

TEST_CASE("MUTA_CHECK evaluates its message only on failure", "[unit][error]") {
  int evaluated = 0;
  auto side = [&] { return ++evaluated; };
  MUTA_CHECK(true) << side();
  CHECK(evaluated == 0);
}
