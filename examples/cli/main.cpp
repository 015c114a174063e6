// The `ember` command: one binary, subcommands registered by command_*.cpp.
#include "command.hpp"

#include <cstring>

int main(int argc, char** argv) {
    using namespace ember_cli;
    auto print_usage = [] {
        std::fprintf(stderr, "usage: ember <command> [options]\n\ncommands:\n");
        for (const command& entry : command_registry()) std::fprintf(stderr, "  %s\n", entry.usage);
    };
    if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help")) {
        print_usage();
        return argc < 2 ? 1 : 0;
    }
    for (const command& entry : command_registry()) {
        if (std::strcmp(entry.name, argv[1]) == 0)
            return entry.run(std::vector<std::string>(argv + 2, argv + argc));
    }
    std::fprintf(stderr, "ember: unknown command '%s'\n", argv[1]);
    print_usage();
    return 1;
}
