import ArgumentParser

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect galleries.",
        subcommands: [DataInfoCommand.self])
}
