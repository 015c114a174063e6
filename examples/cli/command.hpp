#pragma once
// Subcommands of the `ember` command register themselves here: each
// command_<name>.cpp defines one `command` and a static `register_command`,
// so adding a subcommand never touches main.cpp.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ember_cli {

struct command {
    const char* name;
    const char* usage;  // one line, shown by `ember help`
    int (*run)(const std::vector<std::string>& args);  // args after the subcommand name
};

inline std::vector<command>& command_registry() {
    static std::vector<command> registry;
    return registry;
}

struct register_command {
    explicit register_command(command entry) { command_registry().push_back(entry); }
};

// Command-line options: `-x VALUE`, `--name VALUE`, or boolean `--flag`
// (names listed in `flags`). Repeated options keep every value (e.g. --stop).
class arguments {
public:
    arguments(const std::vector<std::string>& args, const std::set<std::string>& flags) {
        for (size_t i = 0; i < args.size(); ++i) {
            const std::string& arg = args[i];
            if (arg.size() > 1 && arg[0] == '-' && !is_number(arg)) {
                if (flags.count(arg)) {
                    values_[arg].push_back("1");
                } else if (i + 1 < args.size()) {
                    values_[arg].push_back(args[++i]);
                } else {
                    error_ = "option " + arg + " needs a value";
                }
            } else {
                positional_.push_back(arg);
            }
        }
    }

    // "" when the arguments were well-formed, else the reason they were not.
    const std::string& error() const { return error_; }
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const {
        auto found = values_.find(name);
        return found == values_.end() ? fallback : found->second.back();
    }
    // The value of the first of several spellings present (e.g. "-m", "--model").
    std::string get_any(std::initializer_list<const char*> names, const std::string& fallback = "") const {
        for (const char* name : names)
            if (has(name)) return get(name);
        return fallback;
    }
    std::vector<std::string> get_all(const std::string& name) const {
        auto found = values_.find(name);
        return found == values_.end() ? std::vector<std::string>{} : found->second;
    }
    const std::vector<std::string>& positional() const { return positional_; }

private:
    static bool is_number(const std::string& text) {
        char* end = nullptr;
        std::strtod(text.c_str(), &end);
        return end && *end == '\0';
    }
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    std::string error_;
};

// -m / --model, or for the commands that generate (run, chat) the model
// that ships with ember (models/kjv-tiny.gguf in the source tree, as the
// other examples use) when none is given.
inline std::string model_path_or_default(const arguments& options) {
    const std::string path = options.get_any({"-m", "--model"});
#if defined(EMBER_DEFAULT_MODEL)
    if (path.empty()) return EMBER_DEFAULT_MODEL;
#endif
    return path;
}

// Print a one-line error to stderr and return the failure exit code.
inline int fail(const std::string& message) {
    std::fprintf(stderr, "ember: %s\n", message.c_str());
    return 1;
}

}  // namespace ember_cli
