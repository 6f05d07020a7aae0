// The demo meeting's roster, modelled on the reference county (芦溪县: 251 delegates in 11 activity
// groups). Names are generated from a fixed seed so demos, screenshots and tests see the same hall.
import type { Delegation, Gender, Person } from '../shared/domain/types'
import { prng } from '../shared/prng'

const DELEGATIONS: Array<{ name: string; size: number }> = [
  { name: '县直机关代表团', size: 60 },
  { name: '芦溪镇代表团', size: 24 },
  { name: '宣风镇代表团', size: 20 },
  { name: '上埠镇代表团', size: 20 },
  { name: '南坑镇代表团', size: 16 },
  { name: '银河镇代表团', size: 18 },
  { name: '源南乡代表团', size: 15 },
  { name: '长丰乡代表团', size: 16 },
  { name: '张佳坊乡代表团', size: 16 },
  { name: '新泉乡代表团', size: 14 },
  { name: '企业代表团', size: 32 },
]

const OBSERVERS = 8
const SEATS_PER_ROW = 20
/** Observers sit apart from the delegates, behind them. */
const OBSERVER_ROW = 15

// Repeats weight the draw towards the surnames common in western Jiangxi.
const SURNAMES = [
  ...'刘刘刘李李李王王王张张陈陈陈黄黄胡胡彭彭罗罗'.split(''),
  ...'杨赵吴周徐孙朱郭何高林郑梁谢宋唐许邓曹曾肖田袁潘蒋蔡余叶程钟易龙欧文邹熊贺廖晏敖甘付漆颜'.split(''),
]
const MALE_CHARS = '伟强军平建国华明俊杰志勇斌涛海波鹏辉刚毅峰磊文龙春林东宇浩超亮健新祥荣忠卫兵德昌水根发金'.split('')
const FEMALE_CHARS = '芳娟敏静丽艳燕红霞玲梅兰琴云莉婷慧雪秀英萍珍凤洁琳颖晶倩'.split('')
const NEUTRAL_CHARS = '小晓春秋海文建国志立雨桂'.split('')

export const DEMO_DELEGATES = DELEGATIONS.reduce((n, d) => n + d.size, 0)

export function demoRoster(): { delegations: Delegation[]; persons: Person[] } {
  const rand = prng(20090827)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]
  const taken = new Set<string>()

  const uniqueName = (gender: Gender): string => {
    const own = gender === 'F' ? FEMALE_CHARS : MALE_CHARS
    for (;;) {
      const surname = pick(SURNAMES)
      // About a quarter of names have a single given character, as in that generation.
      const given = rand() < 0.25 ? pick(own) : pick(rand() < 0.3 ? NEUTRAL_CHARS : own) + pick(own)
      const name = surname + given
      if (given.length === 2 && given[0] === given[1] && gender === 'M') continue
      if (!taken.has(name)) {
        taken.add(name)
        return name
      }
    }
  }

  const delegations: Delegation[] = DELEGATIONS.map((d, i) => ({
    id: `g${String(i + 1).padStart(2, '0')}`,
    name: d.name,
    order: i + 1,
  }))

  const persons: Person[] = []
  let n = 0
  DELEGATIONS.forEach((d, gi) => {
    for (let k = 0; k < d.size; k++) {
      const gender: Gender = rand() < 0.3 ? 'F' : 'M'
      // Seats run in delegation order, so each delegation sits together.
      const row = Math.floor(n / SEATS_PER_ROW) + 1
      const col = (n % SEATS_PER_ROW) + 1
      n++
      persons.push({
        id: `d${String(n).padStart(4, '0')}`,
        name: uniqueName(gender),
        gender,
        role: 'delegate',
        delegationId: delegations[gi].id,
        seat: `${row}排${col}座`,
        status: 'active',
        votingRight: true,
      })
    }
  })

  for (let k = 1; k <= OBSERVERS; k++) {
    const gender: Gender = rand() < 0.3 ? 'F' : 'M'
    persons.push({
      id: `o${String(k).padStart(2, '0')}`,
      name: uniqueName(gender),
      gender,
      role: 'observer',
      delegationId: null,
      seat: `${OBSERVER_ROW}排${k}座`,
      status: 'active',
      votingRight: false,
    })
  }
  return { delegations, persons }
}
