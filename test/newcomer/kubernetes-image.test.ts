// The image the Kubernetes docs tell a reader to build is the one every manifest runs: on a local
// cluster the docs load it under the manifests' name; with a registry they point every
// kustomization that names the image at it, the verify Job's included (otherwise that Job's image
// does not pull on a real cluster).
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { describe, expect, it } from 'vitest'
import { commandsIn } from '../docs/commands.js'
import { readDoc, repoRoot } from '../docs/doc-runner.js'
import { shellBlocks } from '../docs/markdown.js'

const DOCS = ['docs/workshop/09-kubernetes.md', 'docs/deploy-kubernetes.md']
const deployDir = join(repoRoot, 'deploy', 'kubernetes')

async function yamlFiles(): Promise<string[]> {
  const entries = await readdir(deployDir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
}

/** Every `image:` of the manifests (containers of Deployments, Jobs, …). */
async function manifestImages(): Promise<Set<string>> {
  const images = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit)
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'image' && typeof value === 'string') images.add(value)
        else visit(value)
      }
    }
  }
  for (const file of await yamlFiles()) {
    if (file.endsWith('kustomization.yaml')) continue
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) visit(document.toJS())
  }
  return images
}

/** The kustomization directories (relative) that set the image `name`. */
async function kustomizationsNaming(name: string): Promise<string[]> {
  const dirs: string[] = []
  for (const file of await yamlFiles()) {
    if (!file.endsWith('kustomization.yaml')) continue
    const { images } = parse(await readFile(file, 'utf8')) as { images?: { name: string }[] }
    if (images?.some((image) => image.name === name)) dirs.push(relative(repoRoot, dirname(file)))
  }
  return dirs.sort()
}

/** The commands of a document's shell blocks, each with its directory relative to the root. */
async function commandsOf(document: string): Promise<{ words: readonly string[]; cwd: string }[]> {
  return shellBlocks(await readDoc(document)).flatMap((block) =>
    commandsIn(block.text, repoRoot).map(({ words, cwd }) => ({
      words,
      cwd: relative(repoRoot, cwd),
    })),
  )
}

describe('the Kubernetes image in the docs', () => {
  it('is one image, named the same in every manifest', async () => {
    expect([...(await manifestImages())]).toEqual(['config-sidecar-demo:0.1.0'])
  })

  it.each(DOCS)(
    '%s: a local cluster gets the image under the name the manifests run',
    async (document) => {
      const [image] = [...(await manifestImages())]
      const commands = await commandsOf(document)
      const loads = commands
        .filter(({ words }) =>
          words.join(' ').match(/^(kind load docker-image|minikube image load) /),
        )
        .map(({ words }) => words.at(-1))
      expect(loads).toEqual([image, image])
      const localBuild = commands.find(
        ({ words }) => words[0] === 'docker' && words[1] === 'build' && words.includes(image!),
      )
      expect(localBuild, `docker build -t ${image}`).toBeDefined()
    },
  )

  it.each(DOCS)(
    '%s: with a registry, every kustomization that names the image is pointed at it',
    async (document) => {
      const retagged = (await commandsOf(document))
        .filter(({ words }) => words.slice(0, 4).join(' ') === 'kustomize edit set image')
        .map(({ words, cwd }) => {
          expect(words[4]).toMatch(/^config-sidecar-demo=registry\.example\.com\//)
          return cwd
        })
        .sort()
      expect(retagged).toEqual(await kustomizationsNaming('config-sidecar-demo'))
      expect(retagged).toContain('deploy/kubernetes/verify-config-job')
    },
  )
})
