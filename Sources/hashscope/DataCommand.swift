import ArgumentParser

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect and pack galleries.",
        subcommands: [DataInfoCommand.self, DataPackCommand.self])
}
