import { Construct } from 'constructs';
import { Cluster } from './_cluster';
import { compliance } from './_compliance';
import { connectivity, ConnectivityLine } from './_connectivity';
import { connectivityMarkdown, trustGraphMermaid } from './_diagram';
import { appManifests, checkEffect } from './_effect';
import { EffectCheck } from './effect-check';
import { guardProps } from '../intent/_guards';
import { IntentGraph } from '../intent/intent-graph';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of the evidence files.
 */
export interface ZeroTrustEvidenceProps {
  /**
   * The folder (relative to the output files folder) the evidence is written to.
   *
   * @default 'evidence'
   */
  readonly folder?: string;
}

/**
 * Defines the evidence files a reviewer, an auditor or a CI job reads next to the manifests,
 * all derived at synthesis from the same intent graph and the synthesized objects:
 *
 * - `connectivity.json`: what every layer together allows, in the JSON shape of np-guard
 *   netpol-analyzer's `list -o json` (`[{ "src", "dst", "conn" }]`, workloads as
 *   `<namespace>/<name>[<Kind>]`, outside addresses as IPv4 ranges);
 * - `connectivity.md`: the same as a Markdown matrix;
 * - `trust-graph.md`: the trust graph as a Mermaid flowchart (namespaces as subgraphs, edges
 *   labelled with ports, methods, paths, required claims and headers, the internet at the edge
 *   proxy, the external exits), which GitHub and GitLab render;
 * - `oscal-component-definition.json` and `compliance.md`: the controls the objects implement
 *   (NIST SP 800-207A, NIST SP 800-53 rev5, SOC 2, PCI DSS 4.0), each with the exact objects
 *   and graph edges as evidence, and whether the effect check passed.
 *
 * The files are `OutputFile`s: `Synthesis.synth(app)` writes them beside the manifests folder
 * (`dist-files/evidence/`), never into it.
 *
 * @example
 * new ZeroTrustEvidence(app, 'Evidence');
 * Synthesis.synth(app); // dist-files/evidence/*.json, *.md
 */
export class ZeroTrustEvidence extends Construct {
  /** The folder the files are written to, relative to the output files folder. */
  public readonly folder: string;

  private computed?: { manifests: any[]; cluster: Cluster; lines: ConnectivityLine[] };
  private compliant?: { oscal: any; markdown: string };

  public constructor(scope: Construct, id: string, props: ZeroTrustEvidenceProps = {}) {
    super(scope, id);
    guardProps(this, 'ZeroTrustEvidence', props);
    this.folder = props.folder ?? 'evidence';
    const file = (name: string, render: () => string) => new EvidenceFile(this, name, `${this.folder}/${name}`, render);
    file('connectivity.json', () => `${JSON.stringify(this.compute().lines, undefined, 2)}\n`);
    file('connectivity.md', () => connectivityMarkdown(this.compute().lines));
    file('trust-graph.md', () => [
      '# Trust graph',
      '',
      'Who may call whom, derived from the intent graph at synthesis: namespaces as groups, edges labelled with ports, methods, paths and required claims; each workload with how the objects put it in the mesh (sidecar, ambient, waypoint, mTLS mode).',
      '',
      '```mermaid',
      trustGraphMermaid(IntentGraph.of(this), this.compute().manifests, this.compute().cluster).trimEnd(),
      '```',
      '',
    ].join('\n'));
    file('oscal-component-definition.json', () => `${JSON.stringify(this.compliance().oscal, undefined, 2)}\n`);
    file('compliance.md', () => this.compliance().markdown);
  }

  private compute(): { manifests: any[]; cluster: Cluster; lines: ConnectivityLine[] } {
    if (!this.computed) {
      const manifests = appManifests(this);
      const cluster = new Cluster(manifests, IntentGraph.of(this).trustDomain);
      this.computed = { manifests, cluster, lines: connectivity(cluster, manifests) };
    }
    return this.computed;
  }

  private compliance(): { oscal: any; markdown: string } {
    if (!this.compliant) {
      const { manifests, cluster, lines } = this.compute();
      const graph = IntentGraph.of(this);
      // the app's effect check computes the same findings once per synthesis (from the kinds the evaluator reads)
      const findings = EffectCheck._tryOf(this)?._findings() ?? checkEffect(graph, manifests, cluster);
      this.compliant = compliance(graph, manifests, findings, lines);
    }
    return this.compliant;
  }
}

/** An evidence file rendered by a callback. */
class EvidenceFile extends OutputFile {
  public constructor(scope: Construct, id: string, path: string, private readonly render: () => string) {
    super(scope, id, { path });
  }

  public renderContents(): string {
    return this.render();
  }
}
