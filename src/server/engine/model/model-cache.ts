// The run's model, opened once for the kind of input it is used with: images (the corruption suite and
// image shift data sets) or feature tables (tabular shift data sets). One model takes one kind of input.
import type { InputSpec } from '../config/config';
import { InputError, type ConfigPath } from '../errors';
import { loadClassifier, type ClassifierModel } from './load-model';

export class ModelCache {
  private opened: { kind: 'image' | 'tabular'; key: string; model: Promise<ClassifierModel> } | undefined;

  constructor(
    private readonly file: string,
    private readonly labelCount: number,
    private readonly threads: number | undefined,
  ) {}

  image(input: InputSpec): Promise<ClassifierModel> {
    return this.open('image', JSON.stringify(input), () => loadClassifier(this.file, input, this.labelCount, { threads: this.threads }));
  }

  /** A feature-count mismatch names the columns and points at `configPath` (the data set's features). */
  tabular(features: number, featureNames?: readonly string[], configPath?: ConfigPath): Promise<ClassifierModel> {
    return this.open('tabular', String(features), () => loadClassifier(this.file, { kind: 'tabular', features, featureNames, configPath }, this.labelCount, { threads: this.threads }));
  }

  /** The model file's sha256 ('' when no data set needed the model). */
  sha256(): string {
    return this.sha;
  }

  private sha = '';

  private open(kind: 'image' | 'tabular', key: string, load: () => Promise<ClassifierModel>): Promise<ClassifierModel> {
    if (this.opened) {
      if (this.opened.kind !== kind || this.opened.key !== key) {
        const what = (k: string) => (k === 'image' ? 'images' : 'feature tables');
        return Promise.reject(
          new InputError(`the model is used with ${what(this.opened.kind)} and with ${what(kind)}${kind === this.opened.kind ? ' of different widths' : ''}; one model takes one kind of input`, {
            kind: 'config',
            code: 'config-mixed-inputs',
            configPath: ['shift', 'datasets'],
            fix: 'give every data set the same kind of data as the model takes (images with "input", or tables with the same feature columns)',
          }),
        );
      }
      return this.opened.model;
    }
    const model = load().then((m) => {
      this.sha = m.sha256;
      return m;
    });
    this.opened = { kind, key, model };
    return model;
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.model.catch(() => undefined))?.close();
  }
}
