import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks behind the README's speed tables (benchmarks/ compares them with peers).",
        subcommands: [BenchSearchCommand.self, BenchMemoryCommand.self, BenchThumbnailsCommand.self, BenchNetworkCommand.self,
                      BenchTUICommand.self, BenchBackboneCommand.self])
}
