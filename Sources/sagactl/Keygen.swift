import ArgumentParser
import Foundation
import ServiceKit

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write CURVE key pairs: one (--name), or a whole cluster's (--cluster).",
        discussion: """
            --cluster DIR writes a pair for every process of the topology (saga, order, inventory, payment, \
            shipping, monitor and any the topology file adds) and for client, all on the allow-list. With ZSAGA_CLUSTER_SECRET set the keys are derived from it (the same on every machine); \
            otherwise they are random. See docs/SECURITY.md.
            """)

    @Option(help: "Write one key pair named NAME (NAME.key, NAME.pub) into --out.") var name: String?
    @Option(help: "The directory for --name.") var out: String = "."
    @Flag(help: "With --name: also put the public key on the allow-list (authorized/).") var authorize = false
    @Option(help: "Write every key of a cluster into this directory.") var cluster: String?
    @Option(help: "A topology file (docs/TOPOLOGY.md). Env: ZSAGA_TOPOLOGY. Default: the built-in one.") var topology: String?

    func run() throws {
        do {
            if let cluster {
                let secret = environment("ZSAGA_CLUSTER_SECRET")
                try CurveKeys.generateCluster(in: cluster, secret: secret, topology: try Topology.load(file: topology))
                print("cluster keys in \(cluster) (\(secret == nil ? "random" : "derived from ZSAGA_CLUSTER_SECRET"))")
            } else if let name {
                let pair = try CurveKeys.generate(name: name, in: out, authorize: authorize)
                print("\(name): public \(pair.publicKey)")
            } else {
                throw fail("give --name NAME or --cluster DIR")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail("\(error)")
        }
    }
}
