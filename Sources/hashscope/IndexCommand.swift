import ArgumentParser

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index files: build them from a model and a gallery, inspect them, convert to and from faiss.",
        subcommands: [IndexBuildCommand.self, IndexInfoCommand.self, IndexConvertCommand.self])
}
