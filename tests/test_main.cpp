// Catch2 main shared by every test executable; sets up logging so messages go to stderr.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/log.h"

int main(int argc, char* argv[]) {
  muta::InitLogging("warn");
  return Catch::Session().run(argc, argv);
}
