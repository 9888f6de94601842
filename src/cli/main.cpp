// genlab: train, sample, evaluate and inspect GenLab's models natively, with the same code the
// browser runs.
#include "cli/cli.h"

#include <cstdio>
#include <exception>
#include <set>

static void print_usage() {
    std::printf("usage: genlab VERB [MODEL] [options]\n\ncommands:\n");
    for (const cli::Command& c : cli::commands())
        std::printf("  genlab %-8s %-11s %s\n", c.verb.c_str(), c.model.c_str(), c.summary.c_str());
}

int main(int argc, char** argv) {
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "genlab: %s\n", e.what());
        return 2;
    }
    if (args.verb.empty() || args.verb == "help") {
        print_usage();
        return args.verb.empty() && !args.has("help") ? 2 : 0;  // asked for: success
    }
    // A command registered with an empty model takes the next word as an argument
    // (e.g. `genlab inspect FILE`).
    for (const cli::Command& c : cli::commands()) {
        if (c.verb != args.verb) continue;
        if (!c.model.empty() && c.model != args.model) continue;
        if (c.model.empty() && !args.model.empty()) {
            args.positional.insert(args.positional.begin(), args.model);
            args.model.clear();
        }
        try {
            return c.run(args);
        } catch (const cli::HelpRequested& help) {
            const std::string name = c.verb + (c.model.empty() ? "" : " " + c.model);
            std::printf("usage: genlab %s [options]\n  %s\n\noptions: %s\n\nWhat each option "
                        "does: README.md, \"The genlab command line\".\n",
                        name.c_str(), c.summary.c_str(),
                        help.options.empty() ? "none" : help.options.c_str());
            return 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "\ngenlab %s %s: %s\n", args.verb.c_str(), args.model.c_str(), e.what());
            return 1;
        }
    }
    if (args.has("help")) {  // e.g. `genlab train --help`: the commands there are
        print_usage();
        return 0;
    }
    std::set<std::string> models;
    for (const cli::Command& c : cli::commands())
        if (c.verb == args.verb) models.insert(c.model);
    if (models.empty()) {
        std::fprintf(stderr, "genlab: unknown command '%s'\n\n", args.verb.c_str());
    } else {
        std::string list;
        for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
        std::fprintf(stderr, "genlab %s: unknown model '%s' (one of: %s)\n\n", args.verb.c_str(),
                     args.model.c_str(), list.c_str());
    }
    print_usage();
    return 2;
}
