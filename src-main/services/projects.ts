import { AppError, type Project, type ProjectDetail } from '../../src-shared/contract'
import type { ProjectsRepo } from '../db/projects-repo'

/** Project use-cases. Names arrive validated (trimmed, 1..200 chars) from the contract. */
export class ProjectsService {
  constructor(private readonly repo: ProjectsRepo) {}

  list(): Project[] {
    return this.repo.list()
  }

  get(id: number): ProjectDetail {
    const project = this.require(id)
    return { ...project, recentRuns: this.repo.recentRuns(id) }
  }

  create(name: string): Project {
    return this.repo.create(name)
  }

  rename(id: number, name: string): Project {
    return this.repo.rename(id, name) ?? this.notFound(id)
  }

  delete(id: number): { deleted: number } {
    if (!this.repo.delete(id)) this.notFound(id)
    return { deleted: id }
  }

  /** Resolves a CLI-style reference: a numeric id or an exact name. */
  resolve(ref: string): Project {
    const asId = /^\d+$/.test(ref) ? this.repo.get(Number(ref)) : undefined
    const found = asId ?? this.repo.findByName(ref)
    if (!found) throw new AppError('project.not-found', `No project with id or name "${ref}". List them with: perturb-studio project list`)
    return found
  }

  require(id: number): Project {
    return this.repo.get(id) ?? this.notFound(id)
  }

  private notFound(id: number): never {
    throw new AppError('project.not-found', `No project with id ${id}. It may have been deleted; list them with: perturb-studio project list`)
  }
}
