#pragma once
// The `parley` command line (CLI11): serve, all, check [--deploy], routes, openapi, version.
namespace parley {
int run_cli(int argc, char** argv);
}
